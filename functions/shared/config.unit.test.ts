import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import * as v from "valibot";
import { systemConfig, variablesOf } from "../../harness/config.ts";
import { ROOT } from "../../harness/root.ts";
import { configSchema as buyConfig } from "../buy/config.ts";
import { configSchema as itemsConfig } from "../items/config.ts";
import { ConfigError, functionConfig, parseEnv } from "./config.ts";

describe("config", () => {
  test("When the environment is empty, then every variable has its documented default", () => {
    const c = systemConfig({});
    assert.deepEqual(c.KAFKA_BOOTSTRAP_SERVERS, ["localhost:9092"]);
    assert.equal(c.KAFKA_TOPIC, "purchases");
    assert.equal(c.KAFKA_GROUP_ID, "customer-management-group");
    assert.equal(c.MONGODB_URI, "mongodb://localhost:27017/purchases");
    assert.equal(c.PORT, 8080);
    assert.equal(c.LOG_LEVEL, "info");
  });

  test("When values are given, then they are parsed and typed", () => {
    const c = systemConfig({ PORT: "9000", KAFKA_BOOTSTRAP_SERVERS: "a:1, b:2", LOG_LEVEL: "DEBUG" });
    assert.equal(c.PORT, 9000);
    assert.deepEqual(c.KAFKA_BOOTSTRAP_SERVERS, ["a:1", "b:2"]);
    assert.equal(c.LOG_LEVEL, "debug");
  });

  const bad: [string, string, RegExp][] = [
    ["PORT", "abc", /PORT.*whole number/],
    ["PORT", "70000", /PORT.*at most 65535/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL.*one of/],
    ["KAFKA_BOOTSTRAP_SERVERS", "no-port", /KAFKA_BOOTSTRAP_SERVERS.*host:port/],
    ["MONGODB_URI", "postgres://x", /MONGODB_URI.*mongodb:\/\//],
    ["CUSTOMER_MANAGEMENT_API_URL", "not a url", /CUSTOMER_MANAGEMENT_API_URL.*URL/],
    ["KAFKA_TOPIC", "bad topic!", /KAFKA_TOPIC/],
  ];
  for (const [name, value, message] of bad) {
    test(`When ${name}=${value}, then loading fails naming ${name}`, () => {
      assert.throws(
        () => systemConfig({ [name]: value }),
        (err: Error) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  test("When a variable a function does not read is bad, then its config still loads without it", () => {
    const env = { MONGODB_URI: "postgres://x", KAFKA_BOOTSTRAP_SERVERS: "no-port", CORS_ORIGINS: "http://a" };
    const c = parseEnv(itemsConfig, env);
    assert.deepEqual(c.CORS_ORIGINS, ["http://a"]);
    assert.ok(!("MONGODB_URI" in c) && !variablesOf(itemsConfig).includes("MONGODB_URI"));
    assert.throws(() => parseEnv(buyConfig, env), /invalid KAFKA_BOOTSTRAP_SERVERS="no-port"/);
  });

  test("When a function's config is built, then it has every function's variables and only the ones it names", () => {
    assert.deepEqual(variablesOf(functionConfig(["KAFKA_TOPIC"])).sort(), [
      "KAFKA_TOPIC",
      "K_REVISION",
      "K_SERVICE",
      "LOG_LEVEL",
      "PORT",
      "SHUTDOWN_TIMEOUT_MS",
      "STARTUP_TIMEOUT_MS",
    ]);
  });

  test("When a required variable is missing, then the error says it is missing", () => {
    const schema = functionConfig([], { NEEDED: v.string("must be set") });
    assert.throws(
      () => parseEnv(schema, {}),
      (err: Error) => err instanceof ConfigError && /^missing NEEDED$/.test(err.message),
    );
  });

  test("When a function starts with a bad variable, then it prints one line naming it and exits non-zero", () => {
    const r = spawnSync(process.execPath, ["functions/items/server.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "not-a-port" },
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /configuration error: invalid PORT="not-a-port": must be a whole number/);
  });
});

// Makes sure the Kafka client's native addon is installed and loads under the running Node.
// @confluentinc/kafka-javascript first downloads a prebuilt binary; where that host is unreachable
// its fallback source build also downloads zlib/openssl/zstd and fails, and npm drops the optional
// package. Here we build it against the system libraries (CKJS_LINKING=dynamic), which needs the
// Debian dev packages that scripts/install-system.sh installs. An addon built for another Node
// (another ABI: node_modules installed with the machine's older node) is rebuilt in place. On a
// machine that reached the prebuilt binary this finds the client and does nothing.
import { execSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const name = "@confluentinc/kafka-javascript";
// A fresh process each time: require() remembers a package that was missing.
const loads = () => spawnSync(process.execPath, ["-e", `require(${JSON.stringify(name)})`]).status === 0;

if (!loads()) {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const version = pkg.optionalDependencies[name];
  const started = Date.now();
  console.log(
    `[postinstall] ${name} is missing or built for another Node: building it from source against system libraries (about 2 minutes)...`,
  );
  try {
    const present = existsSync(new URL(`../node_modules/${name}/package.json`, import.meta.url));
    execSync(present ? `npm rebuild ${name}` : `npm install --no-save --no-package-lock ${name}@${version}`, {
      stdio: "inherit",
      env: { ...process.env, CKJS_LINKING: "dynamic", npm_config_build_from_source: "true" },
    });
  } catch {
    console.error(
      `[postinstall] building ${name} failed. Install the dev libraries first:\n` +
        "  sudo bash scripts/install-system.sh   (zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev)",
    );
    process.exit(1);
  }
  if (!loads()) {
    console.error(`[postinstall] ${name} still does not load after the source build`);
    process.exit(1);
  }
  console.log(`[postinstall] ${name} built in ${Math.round((Date.now() - started) / 1000)}s`);
}

// Preloaded with `--import` (NODE_OPTIONS) by `npm run bench -- --cpu-prof`: NODE_OPTIONS may not
// carry --cpu-prof itself, so this starts V8's sampling profiler through node:inspector and writes
// <BENCH_CPU_PROF_DIR>/<component>-<pid>.cpuprofile when the process exits.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { basename, dirname, join } from "node:path";

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  const name = basename(dirname(process.argv[1] ?? "node"));
  // In-process inspector sessions answer synchronously, so this works inside an exit handler.
  process.once("exit", () => {
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

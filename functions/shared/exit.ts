// The watchdogs' exit (a shutdown or a start-up that did not finish in time). process.exit() waits
// for every libuv worker thread, and a native client's call that never returns holds one for good:
// librdkafka's consumer close waits for a rebalance callback that may never run. The process then
// never ends and the kubelet waits out the whole grace period. SIGKILL to itself always ends it.
export function exitNow(): never {
  process.kill(process.pid, "SIGKILL");
  process.exit(1); // not reached: the signal ends the process first
}

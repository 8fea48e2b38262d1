// Tells the process that started this one on which port it listens, when it was started with an
// IPC channel (the local harness, harness/process.ts); under Knative or in a container there is no
// channel and nothing is sent. Readiness is then asked of /readyz, never read from a log line.

export interface ListeningMessage {
  type: "listening";
  port: number;
}

export function announceListening(port: number) {
  if (process.send && process.connected) process.send({ type: "listening", port } satisfies ListeningMessage);
}

export const isListeningMessage = (m: unknown): m is ListeningMessage =>
  typeof m === "object" &&
  m !== null &&
  (m as ListeningMessage).type === "listening" &&
  Number.isInteger((m as ListeningMessage).port);

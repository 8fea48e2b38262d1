// A bound on any promise (a produce, a metadata request, a read of the dead-letter topic): the
// promise itself is not cancelled, only no longer waited for. Not AbortSignal.timeout(): the
// Kafka client's calls take no signal.
export class TimeoutError extends Error {}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

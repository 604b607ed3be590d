/**
 * The child side of the runner's IPC: requests `{id, cmd, args}` answered with
 * `{id, ok, result | error}`, and spontaneous `{event, data}` messages. A
 * child whose runner goes away exits at once, so nothing outlives a run.
 */

export type Handler = (args: never) => unknown;

export interface Request {
  id: number;
  cmd: string;
  args: unknown;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface EventMessage {
  event: string;
  data: unknown;
}

export function emit(event: string, data: unknown = null): void {
  process.send?.({ event, data } satisfies EventMessage);
}

export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Serves the runner's requests with `handlers`; one request at a time is enough here, but any number may overlap. */
export function serve(handlers: Record<string, Handler>): void {
  if (!process.send)
    throw new Error('this module is a benchmark child process: the runner starts it with an IPC channel');
  process.on('disconnect', () => process.exit(1));
  process.on('message', (raw) => {
    const request = raw as Request;
    const handler = handlers[request.cmd];
    const reply = (message: Reply) => process.send?.(message);
    if (!handler) {
      reply({ id: request.id, ok: false, error: `unknown command ${JSON.stringify(request.cmd)}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(request.args as never))
      .then(
        (result) => reply({ id: request.id, ok: true, result: result ?? null }),
        (err: unknown) => reply({ id: request.id, ok: false, error: describe(err) }),
      );
  });
}

/** The JSON configuration a child was started with (its one argument). */
export function childConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('missing the JSON configuration argument');
  return JSON.parse(raw) as T;
}

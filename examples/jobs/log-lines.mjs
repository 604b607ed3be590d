// The seed's "processing log files": parses one access-log line (common log
// format) into fields. A malformed line throws, and shows up in the results
// file as that task's `error`; the other lines carry their `result`.
export const name = 'parse access-log lines';

const LINE = /^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-)$/;

export default function parseLine(line) {
  const match = LINE.exec(String(line));
  if (!match) throw new SyntaxError(`not a common-log-format line: ${String(line).slice(0, 60)}`);
  const [, host, user, time, method, path, status, bytes] = match;
  return { host, user, time, method, path, status: Number(status), bytes: bytes === '-' ? 0 : Number(bytes) };
}

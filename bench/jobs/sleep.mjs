// A task that waits `task` milliseconds without using the CPU: how the bench
// shows a pool's concurrency apart from the machine's free cores.
export const name = 'sleep';

export default function sleep(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

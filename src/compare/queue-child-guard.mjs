// Preloaded (node --import) into each train.ts a queue worker starts: when the worker's IPC channel
// closes because the worker died (SIGKILL, crash), the run stops at once, as if its machine were lost,
// instead of training on as an orphan beside the retry that BullMQ hands to another worker.
if (process.send && process.channel) {
  process.channel.unref(); // the channel alone must not keep a finished run alive
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

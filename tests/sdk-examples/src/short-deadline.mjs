// Preloaded (`node --import`) for an example that loops until a fixed deadline of its own
// (`AbortSignal.timeout(60_000)`), so that every run takes that long whatever it does: any
// `AbortSignal.timeout()` longer than GENOPS_EXAMPLE_DEADLINE_MS ms gets that many instead. The example
// itself is unchanged; plain and governed runs both get the shim, so their outputs compare byte for byte.
const cap = Number(process.env.GENOPS_EXAMPLE_DEADLINE_MS);
if (Number.isFinite(cap) && cap > 0) {
  const timeout = AbortSignal.timeout.bind(AbortSignal);
  AbortSignal.timeout = (ms) => timeout(Math.min(ms, cap));
}

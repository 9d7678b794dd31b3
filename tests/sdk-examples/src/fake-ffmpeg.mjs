// A stand-in for `ffmpeg` recording from a microphone, for openai's `recordAudio()` helper (audio/speech-to-text.ts):
// it is started as `ffmpeg -f alsa -i hw:<device> -ar <rate> -ac <channels> -f wav pipe:1` and stopped with
// SIGTERM at the helper's timeout. Writes one second of a 440 Hz tone, as WAV (16-bit PCM, the rate and
// channels asked for), to stdout, then waits for the stop. Put on PATH as `ffmpeg` by the runner (`microphone`).
const args = process.argv.slice(2);
const optionValue = (flag, fallback) => {
  const index = args.indexOf(flag);
  return index >= 0 && index + 1 < args.length ? args[index + 1] : fallback;
};
if (args.at(-1) !== 'pipe:1' || optionValue('-f', '') === '') {
  process.stderr.write(`fake ffmpeg: expected a recording to pipe:1, got: ${args.join(' ')}\n`);
  process.exit(1);
}
const rate = Number(optionValue('-ar', '24000'));
const channels = Number(optionValue('-ac', '1'));
const frames = rate;
const data = Buffer.alloc(frames * channels * 2);
for (let frame = 0; frame < frames; frame++) {
  const sample = Math.round(Math.sin((2 * Math.PI * 440 * frame) / rate) * 8000);
  for (let channel = 0; channel < channels; channel++) data.writeInt16LE(sample, (frame * channels + channel) * 2);
}
const header = Buffer.alloc(44);
header.write('RIFF', 0);
header.writeUInt32LE(36 + data.length, 4);
header.write('WAVE', 8);
header.write('fmt ', 12);
header.writeUInt32LE(16, 16);
header.writeUInt16LE(1, 20);
header.writeUInt16LE(channels, 22);
header.writeUInt32LE(rate, 24);
header.writeUInt32LE(rate * channels * 2, 28);
header.writeUInt16LE(channels * 2, 32);
header.writeUInt16LE(16, 34);
header.write('data', 36);
header.writeUInt32LE(data.length, 40);
process.stdout.write(Buffer.concat([header, data]));
process.on('SIGTERM', () => process.exit(0));
// Recording until stopped (the helper's timeout), bounded in case nothing stops it.
setTimeout(() => process.exit(0), 60_000);

// Preloaded (`node --import`) for examples that redraw their output with the cursor methods only a
// terminal's stdout has (`process.stdout.cursorTo`, `moveCursor`, `clearScreenDown`, `columns`): when
// stdout is a pipe, these are added, writing the same ANSI sequences a tty.WriteStream writes (through
// node:readline), on an 80-column screen. The example itself is unchanged; plain and governed runs both
// get the shim, so their outputs compare byte for byte.
import { clearLine, clearScreenDown, cursorTo, moveCursor } from 'node:readline';

const stdout = process.stdout;
if (!stdout.isTTY) {
  Object.defineProperty(stdout, 'columns', { value: 80, configurable: true });
  Object.defineProperty(stdout, 'rows', { value: 24, configurable: true });
  stdout.cursorTo = (x, y, callback) => cursorTo(stdout, x, y, callback);
  stdout.moveCursor = (dx, dy, callback) => moveCursor(stdout, dx, dy, callback);
  stdout.clearLine = (direction, callback) => clearLine(stdout, direction, callback);
  stdout.clearScreenDown = (callback) => clearScreenDown(stdout, callback);
}

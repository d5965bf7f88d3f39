/** A terminal: keys come from `input` (a TTY, put in raw mode), prompts go to `output`. */
export interface Terminal {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WritableStream;
}

/** The person at the terminal gave up (Ctrl-C, Ctrl-D, or the terminal closed). */
export class PromptCancelled extends Error {
  override readonly name = 'PromptCancelled';
  constructor() {
    super('cancelled at the terminal');
  }
}

/** Asks questions whose answers are not shown as they are typed. */
export interface HiddenPrompt {
  /** Writes `prompt`, reads one line with echo off. Rejects {@link PromptCancelled}. */
  ask(prompt: string): Promise<string>;
  /** Gives the terminal back as it was. */
  close(): void;
}

/**
 * Puts the terminal in raw mode — no echo, keys arrive one by one — until `close()`, and reads
 * lines from it: Enter ends a line, Backspace erases a character, Ctrl-U the line, Ctrl-C and
 * Ctrl-D cancel. Raw mode is on before the first prompt is written, so nothing typed after
 * the prompt is ever echoed. Lines typed ahead (a paste of several) wait for the next question.
 */
export function hiddenPrompt(terminal: Terminal): HiddenPrompt {
  const { input, output } = terminal;
  const lines: string[] = [];
  let typed = '';
  let cancelled = false;
  let waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | null = null;

  const settle = (): void => {
    if (waiting === null) return;
    const { resolve, reject } = waiting;
    if (lines.length > 0) {
      waiting = null;
      output.write('\n');
      resolve(lines.shift()!);
    } else if (cancelled) {
      waiting = null;
      output.write('\n');
      reject(new PromptCancelled());
    }
  };
  const onData = (chunk: string): void => {
    for (const char of chunk) {
      if (char === '\r' || char === '\n') {
        lines.push(typed);
        typed = '';
      } else if (char === '\u0003' || char === '\u0004') {
        cancelled = true;
        break;
      } else if (char === '\u007f' || char === '\b') {
        typed = Array.from(typed).slice(0, -1).join('');
      } else if (char === '\u0015') {
        typed = '';
      } else if (char === '\u001b') {
        break; // an escape sequence (an arrow key): not part of a password
      } else if (char >= ' ') {
        typed += char;
      }
    }
    settle();
  };
  const onEnd = (): void => {
    cancelled = true;
    settle();
  };

  input.setEncoding('utf8');
  input.setRawMode(true);
  input.on('data', onData);
  input.on('end', onEnd);
  input.resume();

  return {
    ask(prompt: string): Promise<string> {
      return new Promise<string>((resolve, reject) => {
        waiting = { resolve, reject };
        output.write(prompt);
        settle();
      });
    },
    close(): void {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode(false);
      input.pause();
    },
  };
}

// How the CLI takes a password: never from argv (visible in `ps`, shell history and CI logs), but from stdin when
// piped, or from a prompt that does not echo when stdin is a terminal.

/** Reads all of a piped stdin; one trailing newline (what `echo` and most files end with) is not part of it. */
async function readPiped(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Prompts on stderr and reads one line from the terminal in raw mode, echoing nothing. */
function promptHidden(stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    process.stderr.write(prompt);
    let value = '';
    const finish = (error: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(null);
        if (char === '\u0003') return finish(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * The password for a command: typed twice at a terminal (no echo), or the whole of piped stdin. Returns an empty
 * string when nothing was piped; the caller's schema says what is wrong with it.
 */
export async function readPassword(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (!stdin.isTTY) return readPiped(stdin);
  const first = await promptHidden(stdin, 'Password: ');
  const again = await promptHidden(stdin, 'Again: ');
  if (first !== again) throw new Error('The two passwords differ; nothing was changed');
  return first;
}

// `kdscope` entry point: dispatch to a sub-command, map errors to one line and an exit code.

import { EXIT_FAILURE, EXIT_USAGE, RuntimeError, UsageError } from './command';
import { commands } from './commands';
import { finalExitCode, guardStdStreams } from './std-streams';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: kdscope <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nkdscope <command> --help shows a command's options.\n`;
}

export async function main(argv: readonly string[]): Promise<number> {
  guardStdStreams(commands.some((c) => c.name === argv[0]) ? argv[0] : undefined);
  return finalExitCode(await dispatch(argv));
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: its help goes where errors go.
    process.stderr.write(help());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`kdscope: unknown command '${name}' (try kdscope --help)\n`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  if (!command.synchronous) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  try {
    return await command.run(rest, {
      stdout: process.stdout,
      stderr: process.stderr,
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`kdscope ${name}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof RuntimeError) {
      process.stderr.write(`kdscope ${name}: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

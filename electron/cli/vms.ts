// `kdscope vms`: every VM the providers see, with each KD-capable channel and its endpoint.
import { listVms, type VmInfo } from '../engine/vms';
import { parseArgs } from './args';
import { EXIT_OK, UsageError, type Command } from './command';

export function formatVms(vms: readonly VmInfo[], problems: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  for (const vm of vms) {
    lines.push(`${vm.provider.padEnd(10)} ${vm.name}  [${vm.state}]`);
    if (vm.channels.length === 0)
      lines.push('             (no serial or VMBus channel configured)');
    for (const ch of vm.channels) {
      const ep = ch.endpoint ? `--target ${ch.endpoint}` : '(not reachable by kdscope)';
      lines.push(`             ${ch.port.padEnd(10)} ${ch.kind.padEnd(8)} ${ch.path}  ${ep}`);
      if (ch.note) lines.push(`             ${''.padEnd(10)} ${ch.note}`);
    }
  }
  for (const [provider, problem] of problems) lines.push(`(${provider}: ${problem})`);
  return lines.join('\n') + '\n';
}

export const vmsCommand: Command = {
  name: 'vms',
  usage: [
    'kdscope vms [--json]',
    '',
    'Lists every VM the providers see: provider, name, state, and each KD-capable channel',
    '(COM pipe, unix or TCP socket, serial device, VMBus) with the --target endpoint to use.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parseArgs(args, { booleans: ['json'] });
    if (parsed.positional.length > 0) throw new UsageError(`unexpected '${parsed.positional[0]}'`);
    const { vms, problems } = await listVms(undefined, io.signal);
    if (parsed.booleans.has('json')) {
      io.stdout.write(
        JSON.stringify({ vms, problems: Object.fromEntries(problems) }, null, 2) + '\n',
      );
    } else io.stdout.write(formatVms(vms, problems));
    return EXIT_OK;
  },
};

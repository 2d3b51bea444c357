// Placeholder until its issue lands; replaced by the real command.
import { RuntimeError, type Command } from './command';

export const vmsCommand: Command = {
  name: 'vms',
  summary: '(not built yet)',
  usage: 'kdscope vms',
  run() {
    return Promise.reject(new RuntimeError('this command is not built yet'));
  },
};

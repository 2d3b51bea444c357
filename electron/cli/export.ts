// Placeholder until its issue lands; replaced by the real command.
import { RuntimeError, type Command } from './command';

export const exportCommand: Command = {
  name: 'export',
  summary: '(not built yet)',
  usage: 'kdscope export',
  run() {
    return Promise.reject(new RuntimeError('this command is not built yet'));
  },
};

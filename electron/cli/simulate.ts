// Placeholder until its issue lands; replaced by the real command.
import { RuntimeError, type Command } from './command';

export const simulateCommand: Command = {
  name: 'simulate',
  summary: '(not built yet)',
  usage: 'kdscope simulate',
  run() {
    return Promise.reject(new RuntimeError('this command is not built yet'));
  },
};

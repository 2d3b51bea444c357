// Placeholder until its issue lands; replaced by the real command.
import { RuntimeError, type Command } from './command';

export const benchCommand: Command = {
  name: 'bench',
  summary: '(not built yet)',
  usage: 'kdscope bench',
  run() {
    return Promise.reject(new RuntimeError('this command is not built yet'));
  },
};

// Placeholder until its issue lands; replaced by the real command.
import { RuntimeError, type Command } from './command';

export const decodeCommand: Command = {
  name: 'decode',
  summary: '(not built yet)',
  usage: 'kdscope decode',
  run() {
    return Promise.reject(new RuntimeError('this command is not built yet'));
  },
};

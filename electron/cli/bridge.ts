// Placeholder until its issue lands; replaced by the real command.
import { RuntimeError, type Command } from './command';

export const bridgeCommand: Command = {
  name: 'bridge',
  summary: '(not built yet)',
  usage: 'kdscope bridge',
  run() {
    return Promise.reject(new RuntimeError('this command is not built yet'));
  },
};

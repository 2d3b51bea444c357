// Placeholder until its issue lands; replaced by the real command.
import { RuntimeError, type Command } from './command';

export const serveCommand: Command = {
  name: 'serve',
  summary: '(not built yet)',
  usage: 'kdscope serve',
  run() {
    return Promise.reject(new RuntimeError('this command is not built yet'));
  },
};

export { startLoopbackSshd, type LoopbackSshd } from './loopback-sshd.js';

// `BENCH_SCALE_CPU_PROF=<dir> npm run bench:scale`: a CPU profile of each worker. Node refuses
// --cpu-prof in NODE_OPTIONS, so the workers get `--import` of this file instead: it starts the
// V8 profiler through the in-process inspector and writes <dir>/worker-<pid>.cpuprofile when the
// process exits (open it in Chrome DevTools or speedscope).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // An in-process session answers synchronously, so this runs before the process is gone.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `worker-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

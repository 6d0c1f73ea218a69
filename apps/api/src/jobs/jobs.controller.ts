import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '@hybridforms/core';
import { JOB_QUEUE, type JobQueue } from '@hybridforms/jobs';
import { FAILED_JOBS_DEFAULT_LIMIT, FailedJobsQueryDto, JOB_ID_PATTERN } from './jobs.dto.js';
import { presentCounts, presentJob } from './job.presenter.js';

/** What the job queue holds: depths by kind, the newest failures, one job. Reads only (viewer). */
@ApiTags('jobs')
@Controller('jobs')
export class JobsController {
  constructor(@Inject(JOB_QUEUE) private readonly queue: JobQueue) {}

  /** Jobs waiting, delayed, running and failed, by kind (cluster-wide in bullmq mode). */
  @Get()
  async summary() {
    return { implementation: this.queue.implementation, counts: presentCounts(await this.queue.counts()) };
  }

  /** The newest failed jobs, newest first. */
  @Get('failed')
  async failed(@Query() query: FailedJobsQueryDto) {
    const jobs = await this.queue.failed(query.kind, query.limit ?? FAILED_JOBS_DEFAULT_LIMIT);
    return { items: jobs.map(presentJob) };
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    // A malformed id names no job: not found, without asking the broker.
    const job = JOB_ID_PATTERN.test(id) ? await this.queue.get(id) : null;
    if (!job) throw new NotFoundError(`job ${JOB_ID_PATTERN.test(id) ? id : '(malformed id)'} not found`);
    return presentJob(job);
  }
}

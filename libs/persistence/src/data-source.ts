import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from './data-source.factory.js';

/**
 * The standalone data source of the TypeORM CLI (`typeorm migration:run -d …/data-source.js`),
 * configured from the same environment as the apps.
 */
export default new DataSource(
  createDataSourceOptions({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: process.env.DATA_DIR ?? './data',
    logging: process.env.TYPEORM_LOGGING === 'true',
  }),
);

import { Cluster, Redis } from 'ioredis-v6';
import { runRedisConformance } from './conformance.js';
import { clusterSeeds, standaloneUrl } from './helpers.js';

runRedisConformance('ioredis 6', {
  standalone: () => new Redis(standaloneUrl, { maxRetriesPerRequest: 1 }),
  cluster: () => new Cluster(clusterSeeds(), { redisOptions: { maxRetriesPerRequest: 1 } }),
});

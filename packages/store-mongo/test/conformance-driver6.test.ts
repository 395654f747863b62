import { MongoClient } from 'mongodb-v6';
import { runMongoConformance } from './conformance.js';

runMongoConformance('mongodb 6', (url, options) => new MongoClient(url, options));

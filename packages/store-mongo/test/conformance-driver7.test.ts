import { MongoClient } from 'mongodb';
import { runMongoConformance } from './conformance.js';

runMongoConformance('mongodb 7', (url, options) => new MongoClient(url, options));

import { createMemoryStore } from '../../../ct/index.js';
import { describeLogStoreContract } from '../../helpers/log-store-contract.js';

describeLogStoreContract('memory', async () => ({ store: createMemoryStore(), cleanup: async () => {} }), { durable: false });

import { bundle, healthzRate, migrate, startWorker, seedMarket } from "./lib/checkout-run.mjs";
import { storageOnTmpfs, withCpuClock } from "./lib/worker.mjs";
const rm = storageOnTmpfs();
const outdir = bundle();
const { result: mf, clock } = await withCpuClock(async () => { const i = startWorker(outdir); await i.ready; return i; });
const db = await mf.getD1Database("DB");
await migrate(db); await seedMarket(db);
for (let i = 0; i < 5; i++) { const r = await healthzRate(mf, clock); console.log(i, r.rate.toFixed(0), r.cpuMs.toFixed(3)); }
await mf.dispose(); rm();

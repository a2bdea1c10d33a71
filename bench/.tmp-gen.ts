import { writeSyntheticReviews } from "/work/main/bench/pipeline.bench.ts";
await writeSyntheticReviews("/tmp/prof/r.jsonl", 20000);

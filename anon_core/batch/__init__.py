"""`anon batch`: anonymize a whole archive (folders of photos and videos) into a mirrored tree, with
a per-output audit report, a resumable JSON Lines manifest and a summary, on a local process pool
or a Ray cluster.

discovery.py  INPUT (folder, glob, list file) -> items with mirrored output paths
outputs.py    output-safety checks (OUT_DIR vs INPUT tree, foreign files) and temp-file cleanup
manifest.py   settings hash, the JSON Lines manifest (the driver is its only writer)
work.py       what a worker does with one task (lazy models, resume check, job, manifest entry)
local_engine.py / ray_engine.py   where tasks run (Ray is imported only by ray_engine)
runner.py     plan tasks, dispatch to an engine, write the manifest, progress bar, summary
"""

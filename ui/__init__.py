"""Streamlit helpers shared by every page of the app (Home.py and pages/*.py).

Pages stay thin: widgets -> PipelineConfig -> cached detectors -> anon_core Pipeline -> results.
Nothing here is imported by anon_core; pages call anon_core only through these helpers or directly.

    import streamlit as st
    from ui import layout, sidebar, models, inputs, video

    layout.page_setup("Industrial tracking", icon="🏭",
                      intro="What this page shows, in two sentences.")   # must be the first st call
    config = sidebar.pipeline_settings()            # shared sidebar; PipelineConfig, persisted across pages
    pipe = models.make_pipeline(config, analyzers={"count": fn})   # Pipeline, or None (error already shown)
    choice = inputs.choose_media(kinds=("upload", "sample"), sample_kind="industrial", key="ind")
    if choice and pipe:
        if choice.is_video:
            result = video.process_video(choice.path, pipe, key="ind", on_frame=collect)  # cached per input+config
            video.show_video_result(result, key="ind")   # player, raw|anonymized slider, downloads
        else:
            video.show_image_result(video.process_image(choice.path, pipe, key="ind"), key="ind")
        choice.cleanup()                            # deletes an uploaded copy now (samples are kept)

API
---
layout.page_setup(title, icon="🕶️", intro=None) -> None       st.set_page_config + header + intro + CSS
layout.detector_badge(name) -> str                              markdown: ":green[embedded] · licence · weak"
layout.privacy_note() -> None                                   the short "what happens to your data" box
sidebar.pipeline_settings(default_targets=None, allowed_targets=("face", "person")) -> PipelineConfig
    Targets, method, detectors (+ badges), threshold, detect-every-N, policy upload.  Values live in
    st.session_state["anon_settings"] (a dict), so they survive page switches; call it on every page.
sidebar.detection_settings(face_detector, note) -> PipelineConfig   the detection part only (shared threshold;
    one fixed face detector, `note` says why), for a page whose own methods replace the anonymization settings
sidebar.current_settings() -> dict                              the persisted raw values (read-only use)
models.load_detector(name, threshold=None) -> Detector          @st.cache_resource, shared read-only
models.make_pipeline(config, analyzers=None) -> Pipeline | None  new Pipeline per call (per session/run);
    on a missing model / bad config shows st.error with how to fix it and returns None.
inputs.choose_media(kinds=("upload", "sample"), sample_kind="walkway", key="media",
                    media=("image", "video")) -> MediaChoice | None
    MediaChoice: path (Path), name (str), source ("upload" | "sample"), is_video (bool),
                 sample (anon_core.synth.SampleScene | None), cleanup() -> None
    Uploads are copied to a private per-session temp dir; size limit = server.maxUploadSize.
inputs.session_tempdir() -> Path      private to this browser session, removed when the session ends
video.process_video(path, pipeline, key, on_frame=None, previews=24) -> VideoResult | None
    st.progress with frames done and fps; output MP4 (no metadata) + JSON report in the session dir;
    VideoResult: output, report_path, summary (dict), previews [(index, raw_rgb, anon_rgb)] (bounded),
                 per_frame (list of {frame, regions, detected, seconds}); None when the input is bad
                 (st.error shown).  Cached in session_state under `key` for the same input + config.
video.process_image(path, pipeline, key) -> ImageResult | None      (raw_rgb, anon_rgb, output, report_path)
video.show_video_result(result, key) / video.show_image_result(result, key)
webcam.webcam_streamer(key, pipeline_factory, show_raw=False) -> (ctx, LiveAnonymizer)
    streamlit-webrtc SENDRECV; the browser only ever receives pipeline output (a masked frame until
    the first processed one, fully obscured on errors); LiveAnonymizer.results is a queue.Queue of
    per-frame dicts {frame, regions, faces, fps, error}: regions = all anonymized, faces = faces_in_view()
    (regions on a track, started only by a detection >= 0.5; weak candidates are anonymized, not counted).
charts.regions_figure(per_frame) -> plotly Figure   (+ trajectories, timeline, emotion_mix, speed_vs_quality ...)
feedback.guard(name) / feedback.bad_file(name, exc)   the one bad-file message (no server paths), then st.stop()
feedback.Progress(label, total) as bar: bar.update(done)   done/total, speed, time left; removed on exit/error
results.lookup(key, sig, source) -> (value, stale) / results.put(key, sig, value, folder, source)
    one result per page and session, kept until the input (source) changes; settings changes mark it stale
compare.side_by_side(raw_rgb, anon_rgb) / compare.inline_image(rgb, caption)   raw embedded (no media URL)
compare.verdict(text, good) / compare.frame_pair(raw_path, anon_path)   the one-line verdict; same frame of both
attributes_view / tracking_view / counting_view / bench_view   the sections of those pages
    (bench_view.preview(gt_dir, target, model, max_frames): raw with ground truth | anonymized stills)
"""

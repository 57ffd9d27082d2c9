"""Media I/O: images, videos (PyAV), frame folders and cameras, all as BGR uint8 frames."""

from anon_core.media.errors import MediaError
from anon_core.media.images import IMAGE_SUFFIXES, encode_image, read_image, to_bgr8, write_image
from anon_core.media.sources import FrameFolder, SingleImage, Webcam, open_source
from anon_core.media.video import VIDEO_SUFFIXES, EncodeOptions, VideoInfo, VideoReader, VideoWriter, probe

__all__ = ["IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "EncodeOptions", "FrameFolder", "MediaError", "SingleImage",
           "VideoInfo", "VideoReader", "VideoWriter", "Webcam", "encode_image", "open_source", "probe",
           "read_image", "to_bgr8", "write_image"]

"""Where the GPU device checks keep their prepared inputs (one place for device_check and job_check)."""

from anon_core.gpu.centerface import REPO

DATA = REPO / ".device" / "gpu_check"

"""Anonymization metrics (IoU pB, IoU pC, covered recall, count errors, face leaks); see docs/benchmark.md."""

from anon_core.metrics.anonymization import (
    COVER_FRACTION,
    boxes_mask,
    changed_mask,
    count_bias,
    count_mae,
    count_rmse,
    covered_fraction,
    covered_recall,
    iou_per_box,
    iou_per_coverage,
    region_mask,
)
from anon_core.metrics.leak import LEAK_NCC, SIZE_BUCKETS, detail_nccs, face_detail_ncc, leak_report
from anon_core.metrics.score import AnonymizationScore, mask_blobs

__all__ = ["COVER_FRACTION", "AnonymizationScore", "boxes_mask", "changed_mask", "count_bias", "count_mae",
           "count_rmse", "covered_fraction", "detail_nccs", "face_detail_ncc", "leak_report", "LEAK_NCC",
           "SIZE_BUCKETS", "covered_recall", "iou_per_box", "iou_per_coverage", "mask_blobs",
           "region_mask"]

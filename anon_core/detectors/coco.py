"""COCO class names: the 80 contiguous classes of YOLOX and the 91-id list of torchvision."""

COCO80 = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)

# torchvision's category ids (1..90, with gaps marked "N/A"); index 0 is background.
_GAPS = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
COCO91 = ["__background__"]
_it = iter(COCO80)
for _i in range(1, 91):
    COCO91.append("N/A" if _i in _GAPS else next(_it))
COCO91 = tuple(COCO91)

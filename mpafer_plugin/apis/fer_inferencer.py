"""Facial expression recognition on photos, folders and videos, in
MMPretrain's inferencer style.

For each image (or sampled video frame): detect faces and their landmarks
(a :mod:`face detector <.face_detectors>`, or the whole image when off) →
crop each face with the geometry of the config's training data
(:mod:`.face_crops`: aligned on the eyes for RAF-DB, the box grown by
``margin`` otherwise) → the config's test pipeline (its image loader
removed) → batched ``model.test_step`` on the model's device → per-face
class probabilities ``softmax(logits)`` over the model's classes.

Result of one image (``record``)::

    dict(source='photo.jpg', frame=None,          # video frame index
         time=None, fps=None,         # video: seconds, frames/s yielded
         image_shape=[H, W],
         status='ok' | 'no_face' | 'unreadable',
         error=None,                                # why it is unreadable
         faces=[dict(face=0, box=[x1, y1, x2, y2],  # detector's box
                     landmarks=[[x, y], ...] or None,  # 5, see LANDMARKS
                     aligned=True,         # cropped from the landmarks
                     pred_label=3, pred_class='happiness', pred_score=0.91,
                     scores={'surprise': 0.01, ...}),  # class -> p, sums
                ...])                               # to 1, model's order

``scores`` is keyed by class name in the model's class order, as in every
output of ``tools/infer.py`` (JSON ``scores``, CSV ``prob_<class>``); the
class names are the checkpoint's, or those given at run time
(``classes``). With ``compare_zero_shot`` each face also has
``zero_shot=dict(pred_class, pred_score, scores)``, frozen CLIP's
zero-shot prediction on the same classes.
"""
import os.path as osp
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmpretrain.apis.base import BaseInferencer
from mmpretrain.datasets import remove_transform
from mmpretrain.registry import TRANSFORMS

from ..faces.crops import build_face_crop
from ..faces.detectors import (FaceDetectorType, WholeImageFaceDetector,
                               build_face_detector, detect_faces)
from ..faces.media_inputs import (Frame, InputType, expand_inputs, is_stream,
                                  iter_frames, to_bgr)
from ..faces.visualization import save_visualization, shared_stems
from .model_init import init_model
from .open_vocabulary import (build_zero_shot_head, use_runtime_classes,
                              zero_shot_scores)

MAX_MARGIN = 2.0  # a box grown by more than twice its size is no face crop

# Loaders the inferencer replaces: it hands the pipeline decoded crops.
IMAGE_LOADERS = ('LoadImageFromFile', 'LoadFERImage')


class FERInferencer(BaseInferencer):
    """Face detection + MPA-FER classification of every face.

    Args:
        model (str | Config | BaseModel): a config file or ``Config`` (with
            ``pretrained``), a prompts-only export file alone, or a built
            model (with ``model._config``).
        pretrained (str, optional): the checkpoint (full, or a prompts-only
            export) for a config.
        device (str, optional): e.g. ``'cuda:0'``; default CUDA if available,
            else CPU.
        detector: ``'auto'`` (default: ``'MTCNNFaceDetector'``, with
            landmarks, when installed, else ``'HaarCascadeFaceDetector'``),
            a type name, a config dict such as
            ``dict(type='HaarCascadeFaceDetector', min_neighbors=8)``, a
            callable ``image -> (N, 4) boxes``, or ``None`` / ``'none'``
            for inputs that are already aligned face crops (the whole image
            is one face).
        margin (float): for box crops (the config's ``face_crop`` is
            ``BoxFaceCrop`` or absent, or a face without landmarks) each
            detected box grows by this fraction of its width / height on
            every side (training crops show some forehead and chin), in
            ``[0, MAX_MARGIN]``; a ``margin`` in ``face_crop`` wins. Not
            applied with the whole image.
        cfg_options (dict, optional): merged into the config first.
        trust_export_code (bool): read an export of the old format, whose
            config is Python text, by executing that text (see
            :func:`init_model`). Only for exports from a trusted source.
        clip_pretrained (str, optional): the CLIP weights file (or tag)
            to use instead of the one the config or export names.
        classes (Sequence[str], optional): class names to classify into
            instead of the checkpoint's (open vocabulary; needs a shared
            context, a class-specific one is refused, see
            :mod:`.open_vocabulary`); recorded in :attr:`runtime_classes`.
        compare_zero_shot (bool): also give each face ``zero_shot``, frozen
            CLIP's zero-shot prediction on the same classes.
        detector_device (str, optional): where a detector that runs a
            network (MTCNN) runs; default ``device``, the model's.
        amp (bool): classify under bf16 autocast (the face detector runs
            outside it); with ``cfg_options=dict(model=dict(clip=dict(
            precision='bf16')))`` the frozen CLIP is also stored in bf16.
            Probabilities move by bf16 rounding (docs/performance.md).
            Defaults to False.

    Example::

        >>> inferencer = FERInferencer('configs/mpafer_rafdb.py',
        ...                            'work_dirs/mpafer_rafdb/epoch_120.pth')
        >>> records = inferencer('photos/', batch_size=16, show_dir='vis')
        >>> records[0]['faces'][0]['pred_class']
        'happiness'
    """

    def __init__(self,
                 model,
                 pretrained: Optional[str] = None,
                 device: Union[str, torch.device, None] = None,
                 detector: FaceDetectorType = 'auto',
                 margin: float = 0.2,
                 cfg_options: Optional[dict] = None,
                 trust_export_code: bool = False,
                 clip_pretrained: Optional[str] = None,
                 classes: Optional[Sequence[str]] = None,
                 compare_zero_shot: bool = False,
                 detector_device: Union[str, torch.device, None] = None,
                 amp: bool = False):
        if not 0 <= margin <= MAX_MARGIN:  # also refuses nan
            raise ValueError(f'margin must be in [0, {MAX_MARGIN}] (a '
                             f'fraction of the box size added on each '
                             f'side), got {margin}.')
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        if isinstance(model, (str, Config)) or model is None:
            model = init_model(
                model,
                pretrained,
                device=device,
                cfg_options=cfg_options,
                trust_export_code=trust_export_code,
                clip_pretrained=clip_pretrained)
            pretrained = None
        super().__init__(
            model=model, pretrained=pretrained or False, device=device)
        # run-time classes: after the checkpoint's classes were checked
        self.runtime_classes = None if classes is None else \
            use_runtime_classes(self.model, classes)
        self.classes = list(self.model.head.classnames)
        self.amp = amp
        self.zero_shot_head = build_zero_shot_head(
            self.model, self.classes) if compare_zero_shot else None
        self.detector = build_face_detector(
            detector, device=detector_device or device)
        self.whole_image = isinstance(self.detector, WholeImageFaceDetector)
        self.face_crop = build_face_crop(self.config.get('face_crop'), margin)

    def forward(self, inputs: Union[dict, tuple], **kwargs):
        """``model.test_step`` on a batch, under bf16 autocast with
        ``amp``."""
        device = next(self.model.parameters()).device.type
        with torch.autocast(device, dtype=torch.bfloat16, enabled=self.amp):
            return super().forward(inputs, **kwargs)

    def _init_pipeline(self, cfg: Config) -> Callable:
        pipeline = cfg.test_dataloader.dataset.pipeline
        for loader in IMAGE_LOADERS:
            pipeline = remove_transform(pipeline, loader)
        return Compose([TRANSFORMS.build(t) for t in pipeline])

    def __call__(self,
                 inputs: InputType,
                 batch_size: int = 1,
                 video_stride: int = 1,
                 show_dir: Optional[str] = None) -> List[dict]:
        """Results (see the module doc) of every image / sampled frame of
        ``inputs`` (paths, folders, videos, or in-memory images: BGR / gray
        numpy arrays, PIL images, channel-first RGB torch tensors; see
        :mod:`..faces.media_inputs`), in order. An item that is no image
        (``None``, an empty, boolean or NaN array) gets its own
        ``'unreadable'`` record with the reason; the others are classified.
        With ``show_dir``, annotated images are written there too."""
        records = []
        root = inputs if isinstance(inputs, str) and osp.isdir(inputs) \
            else None
        items = expand_inputs(inputs)
        shared = shared_stems(items, root)
        for record, image in self.iter_results(items, batch_size,
                                               video_stride):
            if show_dir is not None and image is not None:
                save_visualization(image, record, show_dir, root,
                                   record['source'] in shared)
            records.append(record)
        return records

    def iter_results(
        self,
        inputs: InputType,
        batch_size: int = 1,
        video_stride: int = 1,
    ) -> Iterator[Tuple[dict, Optional[np.ndarray]]]:
        """``(record, BGR image or None)`` for every image / sampled frame,
        in order, as soon as its batch has run: faces of consecutive images
        share batches of ``batch_size`` crops; a live source's frames are
        classified one by one, as they come."""
        pending, crops = [], []
        for frame in iter_frames(expand_inputs(inputs), video_stride):
            record, frame_crops = self._detect(frame)
            pending.append((record, frame.image))
            crops.extend(frame_crops)
            if len(crops) >= batch_size or is_stream(frame.source):
                self._classify(pending, crops, batch_size)
                yield from pending
                pending, crops = [], []
        self._classify(pending, crops, batch_size)
        yield from pending

    def crop_faces(self, image: np.ndarray) -> Tuple[dict, List[np.ndarray]]:
        """``(record without predictions, BGR crops)`` of an image: the
        faces found and the crops the classifier would see."""
        return self._detect(Frame('array:0', None, to_bgr(image)))

    def _detect(self, frame: Frame) -> Tuple[dict, List[np.ndarray]]:
        record = dict(
            source=frame.source,
            frame=frame.frame,
            time=frame.time,
            fps=frame.fps,
            image_shape=None,
            status='unreadable',
            error=frame.error,
            faces=[])
        if frame.image is None:
            return record, []
        image = frame.image
        height, width = image.shape[:2]
        record['image_shape'] = [height, width]
        try:  # one image the detector cannot take costs only its record
            faces = detect_faces(self.detector, image)
        except Exception as error:  # noqa: B902  any detector's failure
            record['error'] = (f'face detection failed: '
                               f'{type(error).__name__}: {error}')
            return record, []
        record['status'] = 'ok' if len(faces.boxes) else 'no_face'
        crops = []
        for index, box in enumerate(faces.boxes):
            points = None if faces.landmarks is None else \
                faces.landmarks[index]
            if self.whole_image:
                crop, aligned = image, False
            else:
                crop, aligned = self.face_crop(image, box, points)
            crops.append(crop)
            record['faces'].append(
                dict(
                    face=index,
                    box=[int(v) for v in box],
                    landmarks=None if points is None else
                    [[round(float(x), 1),
                      round(float(y), 1)] for x, y in points],
                    aligned=aligned))
        return record, crops

    def preprocess(self, crops: List[np.ndarray], batch_size: int = 1):
        """Batches of ``model.test_step`` inputs from BGR face crops."""
        data = (
            self.pipeline(
                dict(
                    img=crop,
                    img_shape=crop.shape[:2],
                    ori_shape=crop.shape[:2])) for crop in crops)
        yield from map(default_collate, self._get_chunk_data(data, batch_size))

    def _classify(self, pending, crops, batch_size) -> None:
        """Fill the faces of the ``pending`` records with the predictions
        for ``crops`` (the faces' crops, in the same order)."""
        preds, zero_shot = [], []
        for batch in self.preprocess(crops, batch_size):
            preds.extend(self.forward(batch))
            if self.zero_shot_head is not None:
                zero_shot.extend(
                    zero_shot_scores(self.model, self.zero_shot_head, batch))
        faces = [face for record, _ in pending for face in record['faces']]
        for face, scores in zip(faces, zero_shot):
            label = int(scores.argmax())
            face['zero_shot'] = dict(
                pred_class=self.classes[label],
                pred_score=float(scores[label]),
                scores=dict(zip(self.classes, scores.tolist())))
        for face, pred in zip(faces, preds):
            scores = pred.pred_score.float().cpu()
            label = int(scores.argmax())
            face.update(
                pred_label=label,
                pred_class=self.classes[label],
                pred_score=float(scores[label]),
                scores=dict(zip(self.classes, scores.tolist())))

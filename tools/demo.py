"""Web demo: upload a photo or use the camera, see the faces found, the
class probabilities of each face and the similarity map of a chosen face.

Usage:
  pip install .[demo]                    # gradio, an optional extra
  python tools/demo.py CONFIG CHECKPOINT [--device cpu] [--port 7860]
  python tools/demo.py EXPORT.pth        # a prompts-only export
      [--detector auto|MTCNNFaceDetector|HaarCascadeFaceDetector]
      [--server-name 0.0.0.0] [--share] [--clip CLIP.pt]

Built like MMPretrain's Gradio demo (projects/gradio_demo): argparse, one
gr.Blocks page, the model loaded once at start. The work is done by
:class:`FERDemo` (no Gradio in it), which tests call directly.
"""
import argparse
import sys

import cv2
import numpy as np

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.apis import FERInferencer
from mpafer_plugin.apis.open_vocabulary import parse_class_list
from mpafer_plugin.export.clip_path import add_clip_argument
from mpafer_plugin.faces import draw_faces
from mpafer_plugin.utils import CheckpointError, config_file
from mpafer_plugin.visualization import compute_similarity_map

MAP_SIDE = 320


class FERDemo:
    """Faces, probabilities and a similarity map of an RGB image.

    Args:
        inferencer (FERInferencer): detector, crops and model.
    """

    def __init__(self, inferencer: FERInferencer):
        self.inferencer = inferencer

    def __call__(self, rgb: np.ndarray, face: int = 0):
        """``(annotated RGB image, {class: p} of face ``face``, a
        "face i: class p" line per face, RGB similarity map of the face or
        ``None``)``; no image gives all ``None``."""
        if rgb is None:
            return None, None, None, None
        bgr = cv2.cvtColor(np.asarray(rgb, np.uint8), cv2.COLOR_RGB2BGR)
        record, crops = self.inferencer.crop_faces(bgr)
        if crops:
            self.inferencer._classify([(record, bgr)], crops, len(crops))
        annotated = cv2.cvtColor(draw_faces(bgr, record), cv2.COLOR_BGR2RGB)
        lines = '\n'.join(f'face {f["face"]}: {f["pred_class"]} '
                          f'{f["pred_score"]:.3f}' for f in record['faces'])
        if not crops:
            return annotated, {}, 'no face found', None
        face = min(max(int(face), 0), len(crops) - 1)
        scores = record['faces'][face]['scores']
        return annotated, scores, lines, self.similarity(crops[face])

    def similarity(self, crop: np.ndarray) -> np.ndarray:
        """The predicted class's patch-text similarity over the crop,
        as an RGB heatmap blended with the crop the model saw, resized to
        ``MAP_SIDE`` pixels on its long side."""
        result = compute_similarity_map(self.inferencer.model,
                                        self.inferencer.pipeline, crop)
        heat = result.heatmap
        heat = np.uint8(255 * (heat - heat.min()) /
                        max(float(heat.max() - heat.min()), 1e-12))
        colour = cv2.cvtColor(
            cv2.applyColorMap(heat, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
        blended = cv2.addWeighted(result.image, 0.5, colour, 0.5, 0)
        scale = MAP_SIDE / max(blended.shape[:2])  # small inputs: legible
        return cv2.resize(
            blended, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def build_page(demo: FERDemo):
    """The gr.Blocks page of ``demo``."""
    import gradio as gr
    with gr.Blocks(title='MPA-FER facial expression recognition') as page:
        gr.Markdown('# MPA-FER: facial expression recognition\n'
                    'Upload a photo or use the camera.')
        with gr.Row():
            with gr.Column():
                image = gr.Image(
                    label='Photo',
                    sources=['upload', 'webcam'],
                    type='numpy',
                    elem_id='photo')
                face = gr.Number(
                    label='Face (0 = leftmost)',
                    value=0,
                    precision=0,
                    minimum=0,
                    elem_id='face')
                button = gr.Button(
                    'Recognise', variant='primary', elem_id='recognise')
            with gr.Column():
                annotated = gr.Image(label='Faces', elem_id='faces')
                label = gr.Label(
                    label='Probabilities of the chosen face',
                    num_top_classes=len(demo.inferencer.classes),
                    elem_id='probabilities')
                lines = gr.Textbox(label='Every face', elem_id='every_face')
                similarity = gr.Image(
                    label='Similarity map (predicted '
                    'class)',
                    elem_id='similarity')
        button.click(
            demo,
            inputs=[image, face],
            outputs=[annotated, label, lines, similarity])
    return page


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'config', type=config_file, help='config, or a prompts-only export')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--device', default=None)
    parser.add_argument('--detector', default='auto')
    parser.add_argument(
        '--detector-device',
        default=None,
        help='where the detector (MTCNN) runs; default: --device')
    parser.add_argument('--server-name', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--share', action='store_true')
    parser.add_argument(
        '--classes',
        help='comma-separated class names instead of the checkpoint\'s '
        '(needs a shared context)')
    add_clip_argument(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise SystemExit('error: the demo needs Gradio: pip install .[demo]')
    try:
        inferencer = FERInferencer(
            args.config,
            args.checkpoint,
            device=args.device,
            detector=args.detector,
            clip_pretrained=args.clip,
            classes=args.classes and parse_class_list(args.classes),
            detector_device=args.detector_device)
    except (CheckpointError, FileNotFoundError) as err:  # file named
        raise SystemExit(f'error: {err}') from err
    demo = FERDemo(inferencer)
    build_page(demo).launch(
        server_name=args.server_name, server_port=args.port, share=args.share)
    return 0


if __name__ == '__main__':
    sys.exit(main())

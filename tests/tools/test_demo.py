"""tools/demo.py: the demo's work (faces, probabilities, similarity map)
without Gradio, and the page in a real headless Chromium: load it, upload
the sample portrait, read the predicted class (skipped where Gradio,
Selenium or Chromium are missing)."""
import os
import shutil
import socket

import cv2
import numpy as np
import pytest

from tools.demo import FERDemo
from ..faces.face_fixtures import FACE_PHOTO, face_photo


@pytest.fixture
def demo(model_files):
    from mpafer_plugin.apis import FERInferencer
    _, config, full, _ = model_files
    return FERDemo(FERInferencer(config, full, device='cpu'))


def test_faces_probabilities_and_map(demo):
    rgb = cv2.cvtColor(face_photo(), cv2.COLOR_BGR2RGB)
    annotated, scores, lines, similarity = demo(rgb, 0)
    assert annotated.shape == rgb.shape
    assert list(scores) == demo.inferencer.classes
    assert sum(scores.values()) == pytest.approx(1, abs=1e-5)
    [record] = demo.inferencer(face_photo())
    face = record['faces'][0]
    assert lines == f'face 0: {face["pred_class"]} {face["pred_score"]:.3f}'
    assert similarity.dtype == np.uint8 and similarity.shape == (320, 320, 3)
    blank = np.full((120, 160, 3), 90, np.uint8)
    assert demo(blank, 0)[1:] == ({}, 'no face found', None)
    assert demo(None) == (None, None, None, None)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_page_in_headless_chromium(demo, tmp_path):
    pytest.importorskip('gradio')
    webdriver = pytest.importorskip('selenium.webdriver')
    chromium = shutil.which('chromium')
    driver_path = shutil.which('chromedriver')
    if not (chromium and driver_path):
        pytest.skip('chromium / chromium-driver are not installed')
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from tools.demo import build_page
    [record] = demo.inferencer(face_photo())
    expected = record['faces'][0]['pred_class']
    port = free_port()
    page = build_page(demo)
    page.launch(
        server_name='127.0.0.1',
        server_port=port,
        prevent_thread_lock=True,
        quiet=True)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu',
                 '--window-size=1280,2000', '--disable-dev-shm-usage'):
        options.add_argument(flag)
    browser = webdriver.Chrome(
        service=webdriver.ChromeService(executable_path=driver_path),
        options=options)
    try:
        browser.get(f'http://127.0.0.1:{port}/')
        wait = WebDriverWait(browser, 120)
        upload = wait.until(
            ready.presence_of_element_located(
                (By.CSS_SELECTOR, '#photo input[type=file]')))
        upload.send_keys(FACE_PHOTO)
        wait.until(
            ready.presence_of_element_located((By.CSS_SELECTOR, '#photo img')))
        browser.find_element(By.ID, 'recognise').click()
        wait.until(
            lambda b: expected in b.find_element(By.ID, 'every_face').
            find_element(By.TAG_NAME, 'textarea').get_attribute('value'))
        # the block's title, then the top class in large type
        shown = browser.find_element(By.ID, 'probabilities').text
        title, top = shown.splitlines()[:2]
        assert title == 'Probabilities of the chosen face', shown
        assert top.strip() == expected, shown
        screenshot = os.environ.get('MPAFER_DEMO_SCREENSHOT',
                                    str(tmp_path / 'demo.png'))
        browser.save_screenshot(screenshot)
    finally:
        browser.quit()
        page.close()

"""Console commands of the wheel (setup.py ``console_scripts``): each runs
the shipped tool of the same name with the command line's arguments, as
``mim run mpafer_plugin <tool>`` does.

==========================  ==========================================
``mpafer-infer``            tools/infer.py (photos, folders, videos)
``mpafer-demo``             tools/demo.py (Gradio page)
``mpafer-export-deploy``    tools/model_converters/export_deploy.py
``mpafer-export-prompts``   tools/model_converters/export_prompts.py
``mpafer-check-dataset``    tools/misc/check_dataset.py
==========================  ==========================================

Training and testing stay with OpenMMLab's launcher: ``mim train
mpafer_plugin CONFIG`` / ``mim test``.
"""
import runpy
import sys

from .utils.packaged_files import tool_file

COMMANDS = {
    'mpafer-infer': 'infer.py',
    'mpafer-demo': 'demo.py',
    'mpafer-export-deploy': 'model_converters/export_deploy.py',
    'mpafer-export-prompts': 'model_converters/export_prompts.py',
    'mpafer-check-dataset': 'misc/check_dataset.py',
}


def run_tool(relative: str) -> None:
    """Run the shipped tool ``relative`` as ``__main__`` with this
    process's arguments (its exit status is the command's)."""
    path = tool_file(relative)
    sys.argv[0] = path
    runpy.run_path(path, run_name='__main__')


def _command(name: str):

    def main():
        run_tool(COMMANDS[name])

    main.__name__ = name.replace('-', '_')
    main.__doc__ = f'``{name}``: tools/{COMMANDS[name]}.'
    return main


infer = _command('mpafer-infer')
demo = _command('mpafer-demo')
export_deploy = _command('mpafer-export-deploy')
export_prompts = _command('mpafer-export-prompts')
check_dataset = _command('mpafer-check-dataset')

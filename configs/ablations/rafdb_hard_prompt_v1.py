# Hard prompts "a photo of {class}." (no descriptions).
_base_ = ['../mpafer_rafdb.py']

model = dict(head=dict(hard_prompt_variant=1))

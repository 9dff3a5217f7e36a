# Hard prompts "a photo of a person making a facial expression of {class}.".
_base_ = ['../mpafer_rafdb.py']

model = dict(head=dict(hard_prompt_variant=2))

_base_ = ['./mpafer_vit-b16.py']

model = dict(clip=dict(model_name='ViT-L-14-quickgelu', pretrained='openai'))

# Cross-dataset: a RAF-DB checkpoint (configs/mpafer_rafdb.py) tested on
# AffectNet-8's validation set, through the basic-expression label space
# (docs/protocols.md). AffectNet-8's Contempt, which RAF-DB lacks, is
# reported as never seen and left out of the accuracies.
_base_ = ['./rafdb_to_affectnet7.py']

test_dataloader = dict(dataset=dict(num_classes=8))

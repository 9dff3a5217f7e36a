from .similarity_map import SimilarityMap, compute_similarity_map

__all__ = ['SimilarityMap', 'compute_similarity_map']

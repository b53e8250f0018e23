"""A light response selector for the `faq` retrieval intent: logistic regression on the sparse features.

Rasa's ResponseSelector is a TensorFlow model that runs on every message (≈19 ms here) and needs
TensorFlow loaded at start-up. Support questions are short and well separated by their words, so a
linear model over the same CountVectors features picks the topic as well (see docs/nlu.md) at a
fraction of the cost. The output has exactly ResponseSelector's shape, so Rasa's retrieval action
(`utter_faq`) and the evaluation read it unchanged.

Used in config.yml as `bot.adapters.rasa_faq_selector.FaqSelector`, after the intent classifier: only
messages classified as `faq` get a topic.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.linear_model import LogisticRegression

logger = logging.getLogger(__name__)

RANKING_LENGTH = 5


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqSelector(GraphComponent):
    """Picks the FAQ topic (`faq/<topic>`) of every message, as ResponseSelector does for one retrieval intent."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"retrieval_intent": "faq", "max_iter": 300, "C": 10.0}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.classifier: LogisticRegression | None = None
        self.responses: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> FaqSelector:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        retrieval_intent = self.config["retrieval_intent"]
        examples = [
            message
            for message in training_data.intent_examples
            if message.get(INTENT) == retrieval_intent and message.get(INTENT_RESPONSE_KEY) and message.get(TEXT)
        ]
        if not examples:
            logger.debug("No %s examples: FaqSelector stays untrained.", retrieval_intent)
            return self._resource
        classifier = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"], class_weight="balanced", random_state=42)
        classifier.fit(_features(examples), [message.get(INTENT_RESPONSE_KEY) for message in examples])
        self.classifier = classifier
        self.responses = {
            key: value for key, value in training_data.responses.items() if key.startswith(f"utter_{retrieval_intent}/")
        }
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        # Only a message classified as the retrieval intent is answered from the topic (utter_faq), so
        # the others skip the work. (Rasa's ResponseSelector classifies every message.)
        retrieval_intent = self.config["retrieval_intent"]
        messages_to_select = [message for message in messages if (message.get(INTENT) or {}).get("name") == retrieval_intent]
        if self.classifier is None or not messages_to_select:
            return messages
        self._select(messages_to_select)
        return messages

    def _select(self, messages: list[Message]) -> None:
        assert self.classifier is not None
        probabilities = self.classifier.predict_proba(_features(messages))
        topics = list(self.classifier.classes_)
        retrieval_intent = self.config["retrieval_intent"]
        for message, row in zip(messages, probabilities):
            ranked = sorted(zip(topics, row), key=lambda pair: -pair[1])[:RANKING_LENGTH]
            best, confidence = ranked[0]
            utter_action = f"utter_{best}"
            selector = message.get("response_selector", {})
            selector["all_retrieval_intents"] = [retrieval_intent]
            selector[retrieval_intent] = {
                "response": {
                    "responses": self.responses.get(utter_action, []),
                    "confidence": float(confidence),
                    "intent_response_key": best,
                    "utter_action": utter_action,
                },
                "ranking": [
                    {"id": index, "confidence": float(score), "intent_response_key": topic}
                    for index, (topic, score) in enumerate(ranked)
                ],
            }
            message.set("response_selector", selector, add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump({"classifier": self.classifier, "responses": self.responses}, directory / "faq_selector.skops")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FaqSelector:
        import skops.io as sio

        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / "faq_selector.skops"
                # Our own file from our own training run: the types are a LogisticRegression and plain dicts.
                saved = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        except (ValueError, FileNotFoundError):
            logger.debug("FaqSelector has nothing saved: it stays untrained.")
            return component
        component.classifier = saved["classifier"]
        component.responses = saved["responses"]
        return component


def _features(messages: list[Message]) -> csr_matrix:
    """The sentence-level sparse (and dense, if any) features the featurizers put on each message."""
    rows = []
    for message in messages:
        _sequence, sparse = message.get_sparse_features(attribute=TEXT)
        _sequence, dense = message.get_dense_features(attribute=TEXT)
        parts = [csr_matrix(sparse.features)] if sparse is not None else []
        if dense is not None:
            parts.append(csr_matrix(dense.features))
        rows.append(hstack(parts))
    return vstack(rows)

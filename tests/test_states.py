"""Every state machine, through the one primitive `states.move`: each allowed move succeeds
and is audited; every other is refused and changes nothing; a move another request made first
is refused too."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from adminapp.errors import TransitionRefused
from adminapp.services.audit import Actor
from adminapp.services.states import may_move, move
from models import (
    CANCELLABLE,
    LIVE_STATUSES,
    Agreement,
    AuditAction,
    AuditEvent,
    AuthChallenge,
    Base,
    Customer,
    CustomerApplication,
    Order,
    OrderStatus,
    OutboxMessage,
    User,
    db,
)

from . import factories

MACHINES = (Order, Customer, User, CustomerApplication, Agreement, AuthChallenge, OutboxMessage)


def _make(model, status, world):
    """A fresh `model` row in `status`."""
    customer = db.session.get(Customer, world.a.customer_id)
    if model is Order:
        return factories.order(orderer=db.session.get(User, world.a.orderer_id), status=status)
    if model is Customer:
        return factories.customer(status=status)
    if model is User:
        return factories.user(customer=customer, status=status)
    if model is CustomerApplication:
        return factories.application(status=status)
    if model is Agreement:
        return factories.agreement(customer_=factories.customer(), status=status)
    if model is AuthChallenge:
        return factories.challenge(status=status)
    if model is OutboxMessage:
        return factories.outbox_message(status=status)
    raise AssertionError(model)


def _stored_status(model, obj_id):
    return db.session.scalar(select(model.status).where(model.id == obj_id))


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_every_model_with_a_status_has_a_whole_table():
    with_status = {
        mapper.class_
        for mapper in Base.registry.mappers
        if "status" in mapper.columns and mapper.class_.__tablename__ != "order_decision"
    }
    assert with_status == set(MACHINES)
    for model in MACHINES:
        statuses = set(type(next(iter(model.TRANSITIONS))))
        assert set(model.TRANSITIONS) == statuses, model
        for following in model.TRANSITIONS.values():
            assert following <= statuses, model


@pytest.mark.parametrize(
    ("model", "start"),
    [(model, start) for model in MACHINES for start in model.TRANSITIONS],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_each_move_from_a_status(app, world, model, start):
    actor = Actor.for_system("test")
    with app.app_context():
        for target in model.TRANSITIONS:
            obj = _make(model, start, world)
            db.session.commit()
            before = _audit_count()
            if target in model.TRANSITIONS[start]:
                assert may_move(obj, target)
                assert move(obj, target, actor=actor, action=AuditAction.UPDATE) == start
                db.session.commit()
                assert obj.status == target
                assert _stored_status(model, obj.id) == target
                event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
                assert (event.object_type, event.object_id) == (model.__name__, obj.id)
                assert event.changes["status"] == [start.value, target.value]
            else:
                assert not may_move(obj, target)
                with pytest.raises(TransitionRefused, match="cannot become"):
                    move(obj, target, actor=actor, action=AuditAction.UPDATE)
                db.session.rollback()
                assert _stored_status(model, obj.id) == start
                assert _audit_count() == before


@pytest.mark.parametrize("model", MACHINES, ids=lambda m: m.__name__)
def test_a_move_made_meanwhile_wins(app, world, model):
    """This request still sees the old status; another one moved the row first."""
    start, following = next((s, f) for s, f in model.TRANSITIONS.items() if f)
    target = sorted(following)[0]
    with app.app_context():
        obj = _make(model, start, world)
        db.session.commit()
        db.session.execute(model.__table__.update().where(model.id == obj.id).values(status=target))
        before = _audit_count()
        with pytest.raises(TransitionRefused, match="changed meanwhile"):
            move(obj, target, actor=Actor.for_system("test"), action=AuditAction.UPDATE)
        assert obj.status == target  # it now shows what happened
        assert _audit_count() == before


def test_values_move_in_the_same_update(app, world):
    with app.app_context():
        order = _make(Order, OrderStatus.AWAITING_ATTESTATION, world)
        db.session.commit()
        move(
            order,
            OrderStatus.CANCELLED,
            actor=Actor.for_system("test"),
            action=AuditAction.CANCEL,
            values={"note": "gone"},
            changes={"reason": "test"},
        )
        assert not db.session.dirty  # nothing left to flush: the UPDATE wrote it all
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(Order, order.id)
        assert (stored.status, stored.note) == (OrderStatus.CANCELLED, "gone")
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert event.action == AuditAction.CANCEL
        assert event.changes == {"status": ["awaiting_attestation", "cancelled"], "reason": "test"}


def test_the_sets_the_order_table_implies():
    S = OrderStatus
    assert {S.DRAFT, S.HELD, S.AWAITING_ATTESTATION} == CANCELLABLE
    assert {S.HELD, S.AWAITING_ATTESTATION, S.ATTESTED, S.IN_DELIVERY, S.COMPLETED} == LIVE_STATUSES

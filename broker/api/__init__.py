"""HTTP layer: thin routers over the services."""

from fastapi import APIRouter

from broker.api.deps import ExpensiveCall
from broker.api.routes.assignments import router as assignments_router
from broker.api.routes.audit import router as audit_router
from broker.api.routes.bulk import router as bulk_router
from broker.api.routes.exchanges import router as exchanges_router
from broker.api.routes.funding import router as funding_router
from broker.api.routes.institutions import router as institutions_router
from broker.api.routes.keys import router as keys_router
from broker.api.routes.knowledge import offers_router, requests_router
from broker.api.routes.matches import router as matches_router
from broker.api.routes.plans import router as plans_router
from broker.api.routes.profiles import router as profiles_router
from broker.api.routes.ranking import router as ranking_router
from broker.api.routes.signals import router as signals_router
from broker.api.routes.subscriptions import router as subscriptions_router
from broker.api.routes.suggest import router as suggest_router
from broker.api.routes.taxonomy import router as taxonomy_router
from broker.api.routes.triangles import router as triangles_router
from broker.api.routes.users import router as users_router

api_router = APIRouter(prefix="/api/v1")
for _router in (
    institutions_router,
    offers_router,
    requests_router,
    assignments_router,
    matches_router,
    signals_router,
    exchanges_router,
    funding_router,
    plans_router,
    subscriptions_router,
    keys_router,
    taxonomy_router,
    profiles_router,
    bulk_router,
    suggest_router,
    audit_router,
    users_router,
):
    api_router.include_router(_router)
# Every ranking endpoint embeds and scores: limited per key (the import and learn routes say so themselves).
api_router.include_router(ranking_router, dependencies=[ExpensiveCall])
api_router.include_router(triangles_router, dependencies=[ExpensiveCall])

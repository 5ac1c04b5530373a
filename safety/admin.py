from django.contrib import admin

from . import models

for model in (
    models.SchoolClass, models.ChecklistTemplate, models.InspectionRound, models.Hazard, models.AgreementTemplate,
    models.AgreementCampaign, models.Visitor, models.Patrol, models.Drill, models.EmergencyPlan, models.Camera,
    models.SecurityEquipment,
):
    admin.site.register(model)

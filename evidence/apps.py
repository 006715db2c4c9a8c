from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"

    def ready(self):
        # HEIC, the photo format of iPhones and many Android phones, opened through Pillow
        # like the others (evidence.imaging.ALLOWED_FORMATS lists it), in every process:
        # web, worker and commands. Only the primary picture is wanted: its thumbnails,
        # depth maps and auxiliary images are not even read.
        from pillow_heif import register_heif_opener

        register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

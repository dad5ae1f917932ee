"""The draft form: prompt, model, settings, advanced options, images, batches."""
